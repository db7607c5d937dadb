"""Seed a moto server (auth disabled) for credguard's tests; prints JSON.

usage: moto_seed.py ENDPOINT
Creates IAM users `alice` (active key), `bob` (key then deleted) and `carol` (key) and a
role `deployer` that carol assumes; prints the material for the tests to use.
"""
import json
import sys

import boto3

endpoint = sys.argv[1]
kw = dict(endpoint_url=endpoint, region_name="us-east-1",
          aws_access_key_id="AKIASEEDSEEDSEEDSEED", aws_secret_access_key="seed" * 10)
iam = boto3.client("iam", **kw)
out = {}
for name in ("alice", "bob", "carol"):
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    out[name] = {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"],
                 "arn": user["Arn"]}
iam.delete_access_key(UserName="bob", AccessKeyId=out["bob"]["access_key_id"])
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": out["carol"]["arn"]}, "Action": "sts:AssumeRole"}]})
role = iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust)["Role"]
sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id=out["carol"]["access_key_id"],
                   aws_secret_access_key=out["carol"]["secret_access_key"])
creds = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci")["Credentials"]
out["role"] = {"access_key_id": creds["AccessKeyId"], "secret_access_key": creds["SecretAccessKey"],
               "session_token": creds["SessionToken"], "arn": role["Arn"]}
json.dump(out, sys.stdout)

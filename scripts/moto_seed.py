"""Seed a moto server for credguard's tests and print what was made, as JSON.

usage: moto_seed.py ENDPOINT SPEC_JSON

Run it with moto's auth disabled (POST /moto-api/reset-auth, body `inf`, Content-Type
text/plain); the Rust harness (daemon/tests/support/moto.rs) does that around each call.

SPEC_JSON is {"ops": [...]}, run in order. Each op is an object:
  {"op": "user", "name": N, "account": A}
      create IAM user N if missing, then one access key for it; in account A when given
      (moto's `x-moto-account-id` header), else moto's default account.
      -> {"user", "access_key_id", "secret_access_key", "arn", "account"}
  {"op": "delete_key", "user": N, "access_key_id": K}
      delete that key (K defaults to the last key made for N in this call). -> {}
  {"op": "role", "name": R, "trust_arn": ARN}
      create role R (if missing) whose trust policy lets ARN assume it ("trust_user": N
      instead of ARN: user N of this call). -> {"arn"}
  {"op": "allow_assume", "user": N, "role": R}
      an inline policy on user N allowing sts:AssumeRole on role R (moto evaluates a
      caller's IAM policies when auth is on). -> {}
  {"op": "assume", "role": R, "access_key_id": K, "secret_access_key": S,
   "session_name": "credguard", "duration": 3600}
      sts:AssumeRole signed with K/S ("user": N instead of K/S: N's last key of this call).
      -> {"access_key_id", "secret_access_key", "session_token", "arn", "expiration"}
Prints {"results": [one object per op]}.
"""
import json
import sys

import boto3

ACCOUNT_FIELD = 4  # arn:aws:iam::ACCOUNT:user/NAME


def main():
    endpoint = sys.argv[1]
    # Auth is off while seeding: any well-formed key signs these calls.
    seed_kw = dict(endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="AKIASEEDSEEDSEEDSEED",
                   aws_secret_access_key="seed" * 10)
    iam = iam_main = boto3.client("iam", **seed_kw)
    last_key = {}

    def iam_in(account):
        """An IAM client acting in moto account `account`."""
        c = boto3.client("iam", **seed_kw)
        c.meta.events.register(
            "before-sign.iam.*",
            lambda request, **kw: request.headers.__setitem__("x-moto-account-id", account))
        return c

    def user(op):
        name = op["name"]
        iam = iam_in(op["account"]) if op.get("account") else iam_main
        try:
            arn = iam.create_user(UserName=name)["User"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            arn = iam.get_user(UserName=name)["User"]["Arn"]
        key = iam.create_access_key(UserName=name)["AccessKey"]
        out = {"user": name, "access_key_id": key["AccessKeyId"],
               "secret_access_key": key["SecretAccessKey"], "arn": arn,
               "account": arn.split(":")[ACCOUNT_FIELD]}
        last_key[name] = out
        return out

    def delete_key(op):
        key_id = op.get("access_key_id") or last_key[op["user"]]["access_key_id"]
        iam.delete_access_key(UserName=op["user"], AccessKeyId=key_id)
        return {}

    def role(op):
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": op.get("trust_arn") or last_key[op["trust_user"]]["arn"]},
            "Action": "sts:AssumeRole"}]})
        try:
            arn = iam.create_role(RoleName=op["name"], AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        except iam.exceptions.EntityAlreadyExistsException:
            arn = iam.get_role(RoleName=op["name"])["Role"]["Arn"]
        return {"arn": arn}

    def assume(op):
        if "user" in op:
            k = last_key[op["user"]]
            key_id, secret = k["access_key_id"], k["secret_access_key"]
        else:
            key_id, secret = op["access_key_id"], op["secret_access_key"]
        role_arn = iam.get_role(RoleName=op["role"])["Role"]["Arn"]
        sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id=key_id, aws_secret_access_key=secret)
        r = sts.assume_role(RoleArn=role_arn,
                            RoleSessionName=op.get("session_name", "credguard"),
                            DurationSeconds=int(op.get("duration", 3600)))
        c = r["Credentials"]
        return {"access_key_id": c["AccessKeyId"], "secret_access_key": c["SecretAccessKey"],
                "session_token": c["SessionToken"], "arn": r["AssumedRoleUser"]["Arn"],
                "role_arn": role_arn, "expiration": c["Expiration"].isoformat()}

    def allow_assume(op):
        role_arn = iam.get_role(RoleName=op["role"])["Role"]["Arn"]
        iam.put_user_policy(UserName=op["user"], PolicyName="assume-" + op["role"],
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Action": "sts:AssumeRole",
                                "Resource": role_arn}]}))
        return {}

    ops = {"user": user, "delete_key": delete_key, "role": role, "assume": assume,
           "allow_assume": allow_assume}

    spec = json.loads(sys.argv[2])
    json.dump({"results": [ops[op["op"]](op) for op in spec["ops"]]}, sys.stdout)

if __name__ == "__main__":
    main()

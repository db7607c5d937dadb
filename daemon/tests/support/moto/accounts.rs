//! Seeding users in other moto accounts: moto keeps one IAM per account and mints key ids
//! that encode their account, so such a key is another account's key to credguard and to
//! STS alike.

use super::{Kind, Seed};
use serde_json::json;

impl Seed {
    /// IAM user `name` in moto account `account` (12 digits) with a new access key:
    /// [`super::Seeded::user`]`(name)`, whose `account` is `account`.
    pub fn user_in(self, name: &str, account: &str) -> Seed {
        self.op(
            Kind::User,
            name,
            json!({"op": "user", "name": name, "account": account}),
        )
    }
}

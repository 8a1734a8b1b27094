//! [`Caller`]: what a service needs to answer one caller — where to read, by which rules, for
//! whom — handed over as one value instead of three arguments.

use sea_orm::DatabaseConnection;

use super::{Actor, Policy};

/// The database (pool or open transaction), the policy and the actor of one request.
///
/// The actor's derived scope ([`Actor::views`]) is computed once per request and travels with
/// it. Inside a transaction, [`Caller::on`] gives the same caller on the transaction.
pub struct Caller<'a, C = DatabaseConnection> {
    /// Where to read and write: the pool, or a transaction.
    pub db: &'a C,
    /// The loaded policy.
    pub policy: &'a Policy,
    /// Who is asking.
    pub actor: &'a Actor,
}

impl<'a, C> Caller<'a, C> {
    /// The caller of a request.
    pub fn new(db: &'a C, policy: &'a Policy, actor: &'a Actor) -> Self {
        Self { db, policy, actor }
    }

    /// The same caller, reading and writing through `db` (typically a transaction).
    pub fn on<'b, D>(&self, db: &'b D) -> Caller<'b, D>
    where
        'a: 'b,
    {
        Caller {
            db,
            policy: self.policy,
            actor: self.actor,
        }
    }
}

// Not derived: the derive would ask `C: Copy`, and a connection is not.
impl<C> Clone for Caller<'_, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<C> Copy for Caller<'_, C> {}

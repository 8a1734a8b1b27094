//! Identity (bearer token → [`Actor`]) and authorization (the Oso policy and the SQL scope
//! that mirrors it).

pub mod actor;
pub mod caller;
pub mod policy;
pub mod scope;
pub mod token;

pub use actor::{Actor, Assignment};
pub use caller::Caller;
pub use policy::Policy;
pub use scope::{StructureScope, StructureView};
pub use token::TokenKeys;

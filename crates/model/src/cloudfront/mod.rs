//! The CloudFront resource model: distributions, origins, cache behaviors, and cache, origin
//! request and response headers policies (managed ones with their real IDs), with AWS's field
//! names, in both the API's JSON shape (`aws cloudfront get-distribution-config`: lists
//! wrapped as `{Quantity, Items}`) and CloudFormation's (plain arrays).

pub mod distribution;
pub mod policies;
pub mod wire;

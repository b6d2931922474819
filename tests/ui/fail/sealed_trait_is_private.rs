//! The supertrait that seals `Parse` cannot be named outside jitos-schema, so no outside type
//! can satisfy it, by either of the paths rustc might suggest.

struct ThroughReexport;

impl jitos_schema::runtime::Sealed for ThroughReexport {}

struct ThroughModule;

impl jitos_schema::runtime::sealed::Sealed for ThroughModule {}

fn main() {}

//! The JSON-LD document loader: every context a credential may use, bundled; nothing is ever
//! fetched over the network (a credential naming an unknown context fails to canonicalise).
//!
//! `ssi`'s static loader provides W3C credentials v1/v2, Data Integrity, Multikey, DID v1 and
//! the examples contexts; `microcred-schemas` adds Open Badges 3.0.3, ELM and ours.

use std::collections::HashMap;
use std::sync::LazyLock;

use ssi::json_ld::ContextLoader;

static LOADER: LazyLock<ContextLoader> = LazyLock::new(|| {
    let map: HashMap<String, String> = microcred_schemas::contexts()
        .into_iter()
        .map(|(url, doc)| (url.to_owned(), doc.to_owned()))
        .collect();
    ContextLoader::default()
        .with_context_map_from(map)
        .expect("bundled contexts are valid JSON with valid IRIs")
});

/// The shared loader (built once).
pub fn loader() -> &'static ContextLoader {
    &LOADER
}

#[cfg(test)]
mod tests {
    use super::*;
    use ssi::json_ld::Loader;

    #[test]
    fn every_bundled_context_loads_without_network() {
        for (url, _) in microcred_schemas::contexts() {
            let iri = ssi::json_ld::iref::IriBuf::new(url.to_owned()).unwrap();
            futures::executor::block_on(loader().load(&iri)).unwrap();
        }
    }
}

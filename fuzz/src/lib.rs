//! What the fuzz targets share.

/// A current-thread runtime (canonicalisation runs its own `futures` executor inside, so
/// a target cannot use one itself).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
    })
}

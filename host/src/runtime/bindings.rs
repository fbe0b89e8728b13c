//! Host-side bindings of the `skillhost:skill` WIT package.
wasmtime::component::bindgen!({
    path: "../wit",
    world: "skillhost:skill/skill",
    imports: { default: async | trappable },
    exports: { default: async },
});

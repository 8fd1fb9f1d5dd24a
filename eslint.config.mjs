import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".demo/", "bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", setTimeout: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // Node-RED's own idiom: `const node = this` in a node constructor.
      "@typescript-eslint/no-this-alias": ["error", { allowedNames: ["node"] }],
      eqeqeq: ["error", "smart"],
      "no-console": "off",
    },
  },
);

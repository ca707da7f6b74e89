// The cost estimate: modules are added as they land.
export {};

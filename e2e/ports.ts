// Test ports, away from the playground's defaults (app 8080, manifest 8420, chains 9545…).
export const ports = { app: 18080, admin: 18420, rpc: 19545 };
export const APP_URL = `http://127.0.0.1:${ports.app}/`;
export const MANIFEST_URL = `http://127.0.0.1:${ports.admin}/manifest.json`;

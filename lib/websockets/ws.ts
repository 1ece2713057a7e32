// Entry `nestjs-cors-policy/ws`: apart from the root entry, so that apps without `ws` still
// load the package (an `extends WsAdapter` needs @nestjs/platform-ws).
export { CorsWsAdapter } from './cors-ws.adapter.js';

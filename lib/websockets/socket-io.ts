// Entry `nestjs-cors-policy/socket.io`: apart from the root entry, so that apps without
// socket.io still load the package (an `extends IoAdapter` needs @nestjs/platform-socket.io).
export { CorsIoAdapter } from './cors-io.adapter.js';

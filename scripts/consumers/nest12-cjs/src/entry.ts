// CommonJS: the compiled `require('nestjs-cors-policy')` takes the "require" condition.
export const loadedEntry = require.resolve('nestjs-cors-policy');
export const expectedEntry = '/node_modules/nestjs-cors-policy/dist/cjs/index.js';

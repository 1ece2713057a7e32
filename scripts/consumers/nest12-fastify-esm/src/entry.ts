// ESM: `import 'nestjs-cors-policy'` takes the "import" condition of the exports map.
export const loadedEntry = import.meta.resolve('nestjs-cors-policy');
export const expectedEntry = '/node_modules/nestjs-cors-policy/dist/index.js';

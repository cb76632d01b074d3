// Entry of the Node worker threads that run XNNPACK's pthreads for the threaded wasm backend. The
// emscripten worker script ships as a string (meant for a browser Blob); Node's Worker needs a file.
// Its minified text holds "\n" escapes that the string turned into newlines: they are escaped back.
const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js');
new Function('require', '__filename', wasmWorkerContents.replace(/\n/g, '\\n'))(require, __filename);

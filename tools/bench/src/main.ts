// Benchmarks are registered here as they are written.
console.log('no benchmarks yet');

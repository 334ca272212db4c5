// An AssemblyScript module: exports, a trace line, a GC'd array, an assertion, Math.random.
const greeting = "hello from AssemblyScript";

export function fib(n: i32): i32 {
  let a = 0, b = 1;
  for (let i = 0; i < n; i++) {
    const t = a + b;
    a = b;
    b = t;
  }
  return a;
}

export function run(): i32 {
  trace(greeting);
  trace("fib", 2, fib(10), fib(20));
  const arr = new Array<i32>();
  for (let i = 0; i < 10; i++) arr.push((i * 7) % 10);
  arr.sort();
  trace("sorted", 3, arr[0], arr[5], arr[9]);
  return fib(25);
}

export function check(x: i32): i32 {
  assert(x > 0, "x must be positive");
  return x * 2;
}

export function roll(): f64 {
  return Math.random();
}

// The package's index re-exports every store (and loads their drivers lazily); we import only the
// two classes a custom store needs, from their own files. RateLimiterStoreAbstract is typed in the
// package's types.d.ts but not exported by its index.js.
declare module 'rate-limiter-flexible/lib/RateLimiterStoreAbstract.js' {
  import { RateLimiterStoreAbstract } from 'rate-limiter-flexible';
  export default RateLimiterStoreAbstract;
}

declare module 'rate-limiter-flexible/lib/RateLimiterRes.js' {
  import { RateLimiterRes } from 'rate-limiter-flexible';
  export default RateLimiterRes;
}

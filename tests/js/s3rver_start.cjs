// Starts s3rver (an S3 endpoint that checks SigV4 signatures) through its
// CLI module, for the tests: node s3rver_start.cjs -d DIR -a 127.0.0.1 -p PORT --configure-bucket B
// Needs NODE_OPTIONS=--openssl-legacy-provider.
require('@20minutes/s3rver/lib/cli.js').parseAsync(process.argv).catch((e) => {
  console.error(e)
  process.exit(1)
})

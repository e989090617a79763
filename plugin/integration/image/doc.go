// Package image holds the end-to-end test of the plugin's own image: the
// plugin builds it from the repository's Dockerfile in the sandbox, for
// linux/amd64 and linux/arm64, and publishes an index over both; then the
// image's filesystem becomes the sandbox's root and its entrypoint builds
// and pushes the example. Everything talks to scripts/localecr.
//
// It needs root, bubblewrap, docker-registry and busybox-static, and fails
// without them; go test -short skips it.
package image

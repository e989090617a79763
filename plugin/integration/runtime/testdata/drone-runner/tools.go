//go:build tools

// Package tools pins Drone's docker runner, which the runtime tests build
// from the Go module proxy: `go build github.com/drone-runners/drone-runner-docker`
// in this folder. Its old Docker client needs the replace in go.mod.
package tools

import _ "github.com/drone-runners/drone-runner-docker"

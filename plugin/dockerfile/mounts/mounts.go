// Package mounts reads RUN --mount values the way BuildKit does, into the
// model the step server sets up (Mount).
package mounts

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/tonistiigi/go-csvvalue"
)

// Mount is one RUN --mount, with BuildKit's defaults filled in. Target,
// Source, ID and Env are as written: BuildKit expands variables in them
// with the stage's ARG and ENV values, so the helper must expand them with
// the step's environment (using Step.Escape). A relative Target is
// relative to the working directory.
type Mount struct {
	// Type is bind, cache, secret, ssh or tmpfs.
	Type string `json:"type"`
	// Target is where the mount appears; empty for a bind, cache or tmpfs
	// mount means the step's working directory (the WORKDIR). For a secret without Env it
	// defaults to /run/secrets/<id>; for ssh to /run/buildkit/ssh_agent.<n>,
	// n counting the ssh mounts of the step from 0.
	Target string `json:"target,omitempty"`
	// ID names the secret, the ssh agent ("default" if unset) or the cache
	// (the cleaned target if unset).
	ID string `json:"id,omitempty"`
	// Source is a path inside From (or the build context) for bind and
	// cache mounts.
	Source string `json:"source,omitempty"`
	// From is the stage or image a bind or cache mount is taken from;
	// empty means the build context for bind and an empty directory for
	// cache.
	From string `json:"from,omitempty"`
	// FromStage is the index (among all FROMs) of the earlier stage From
	// names; nil when From is empty or an image.
	FromStage *int `json:"fromStage,omitempty"`
	// FromImage is set when From is an image reference: the helper pulls
	// it with the build's credentials and uses its files.
	FromImage bool `json:"fromImage,omitempty"`
	ReadOnly  bool `json:"readonly,omitempty"`
	// Mode, UID and GID are nil when not given; BuildKit then uses 0400
	// (secret), 0600 (ssh) or 0755 (cache) and root.
	Mode *uint32 `json:"mode,omitempty"`
	UID  *uint32 `json:"uid,omitempty"`
	GID  *uint32 `json:"gid,omitempty"`
	// Sharing is shared, private or locked, for cache mounts.
	Sharing string `json:"sharing,omitempty"`
	// Required makes a missing secret or ssh agent an error.
	Required bool `json:"required,omitempty"`
	// Env, for a secret, names the environment variable that receives it.
	Env string `json:"env,omitempty"`
	// Size limits a tmpfs mount, in bytes; 0 means no limit.
	Size int64 `json:"size,omitempty"`
	// Digest is the content digest of a bind mount's source in the build
	// context (see Options.ContentHash).
	Digest string `json:"digest,omitempty"`
	// Deferred are options ("key=value" as written) whose variables only
	// the base image's ENV can define: the step server expands them with
	// the step's environment and applies them (see Apply).
	Deferred []string `json:"deferred,omitempty"`
}

// Types lists the mount types, for messages.
const Types = "bind, cache, secret, ssh or tmpfs"

var known = map[string]bool{"bind": true, "cache": true, "secret": true, "ssh": true, "tmpfs": true}

// Parse runs BuildKit's own mount parser on one --mount value. kaniko
// parses RUN without expanding it, which leaves every mount option unread;
// Expand with an identity expander makes BuildKit read them all, keeping
// variables as written. Options that must be numbers, booleans or one of a
// set then fail on a variable, so those are refused statically.
func Parse(val string) (*Mount, error) {
	fields, err := csvvalue.Fields(val, nil)
	if err != nil {
		return nil, fmt.Errorf("invalid mount: %v", err)
	}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		if strings.EqualFold(k, "type") && !known[strings.ToLower(v)] {
			return nil, fmt.Errorf("unknown mount type (want %s)", Types)
		}
	}
	node := &parser.Node{Value: "run", Original: "RUN true", Flags: []string{"--mount=" + val}, Next: &parser.Node{Value: "true"}}
	v, err := instructions.ParseInstruction(node)
	if err == nil {
		run := v.(*instructions.RunCommand)
		err = run.Expand(func(w string) (string, error) { return w, nil })
		if ms := instructions.GetMounts(run); err == nil && len(ms) == 1 {
			return checked(ms[0])
		}
	}
	if err == nil {
		err = fmt.Errorf("invalid mount")
	}
	return nil, err
}

// checked refuses what BuildKit would resolve differently once
// variables are expanded, then converts the mount.
func checked(m *instructions.Mount) (*Mount, error) {
	if m.Env != nil && *m.Env == "" {
		return nil, fmt.Errorf("env needs a variable name")
	}
	// BuildKit takes the base name of the expanded target as the id.
	if m.Type == instructions.MountTypeSecret && m.CacheID == "" && m.Source == "" && Unexpanded(m.Target) {
		return nil, fmt.Errorf("a secret whose target uses a variable needs an id")
	}
	return convert(m), nil
}

// Unexpanded reports whether BuildKit's word expansion could change s.
func Unexpanded(s string) bool {
	return strings.ContainsAny(s, "$'\"\\`")
}

// convert copies BuildKit's mount into the model, filling in the
// defaults BuildKit applies when it dispatches the mount.
func convert(m *instructions.Mount) *Mount {
	out := &Mount{
		Type: string(m.Type), Target: m.Target, ID: m.CacheID, Source: m.Source, From: m.From,
		ReadOnly: m.ReadOnly, Sharing: string(m.CacheSharing), Required: m.Required, Size: m.SizeLimit,
		Mode: narrow(m.Mode), UID: narrow(m.UID), GID: narrow(m.GID),
	}
	if m.Env != nil {
		out.Env = *m.Env
	}
	switch m.Type {
	case instructions.MountTypeCache:
		if out.ID == "" {
			out.ID = path.Clean(out.Target)
		}
		if out.Sharing == "" {
			out.Sharing = string(instructions.MountSharingShared)
		}
	case instructions.MountTypeSecret:
		// BuildKit: source is an alias of id, and the target's base name
		// is the id when neither is given.
		if out.Source != "" {
			out.ID, out.Source = out.Source, ""
		}
		if out.ID == "" {
			out.ID = path.Base(out.Target)
		}
		if out.Target == "" && m.Env == nil {
			out.Target = "/run/secrets/" + path.Base(out.ID)
		}
	case instructions.MountTypeSSH:
		if out.ID == "" {
			out.ID = "default"
		}
	}
	return out
}

// narrow converts BuildKit's *uint64, parsed with a 32-bit limit.
func narrow(v *uint64) *uint32 {
	if v == nil {
		return nil
	}
	u := uint32(*v)
	return &u
}

// Outermost is the clean absolute paths of ps, sorted, without those
// under another of them: a path under a kept path is kept with it.
func Outermost(ps []string) []string {
	var out []string
	for _, p := range slices.Compact(slices.Sorted(slices.Values(ps))) {
		if n := len(out); n == 0 || out[n-1] != "/" && !strings.HasPrefix(p, out[n-1]+"/") {
			out = append(out, p)
		}
	}
	return out
}

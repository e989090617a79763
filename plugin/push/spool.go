package push

import (
	"context"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/push/spool"
)

// Compression is how the layers the build made are compressed for the
// push: kaniko's --compression and --compression-level (spool.Compression).
type Compression = spool.Compression

// Precompressor compresses the build's layer tars while the build goes on,
// for Request.Early (spool.Precompressor).
type Precompressor = spool.Precompressor

// NewPrecompressor starts a Precompressor whose spool folder is a new
// folder under dir (the system's temp folder when dir is missing).
func NewPrecompressor(ctx context.Context, comp Compression, dir string) (*Precompressor, error) {
	return spool.NewPrecompressor(ctx, comp, dir)
}

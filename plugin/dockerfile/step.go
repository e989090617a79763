package dockerfile

import "github.com/kaniko-ecr/kaniko-ecr/plugin/dockerfile/step"

// Step is an instruction kaniko cannot run as written, with what BuildKit
// would do for it (see step.Step).
type Step = step.Step

// Heredoc is an inline document as parsed by BuildKit (see step.Heredoc).
type Heredoc = step.Heredoc

package settings

import "github.com/kaniko-ecr/kaniko-ecr/plugin/settings/values"

// The value types of Settings' fields, decoded by package values.
type (
	Bool        = values.Bool
	Int         = values.Int
	OptionalInt = values.OptionalInt
	Hours       = values.Hours
	List        = values.List
	SemiList    = values.SemiList
	KeyValues   = values.KeyValues
	Duration    = values.Duration
)

package outputs

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
)

// CardSchema is the adaptive card template that Drone's UI renders a
// card's data with: docs/card.json on the default branch.
const CardSchema = "https://raw.githubusercontent.com/kaniko-ecr/kaniko-ecr/main/docs/card.json"

// Card is the data of the Drone card written after a successful push.
type Card struct {
	Image     string   `json:"image"`  // <registry>/<repo>
	Digest    string   `json:"digest"` // sha256:...
	Tags      []string `json:"tags"`
	TagList   string   `json:"tagList"` // the tags, comma-separated, for the template
	Size      string   `json:"size"`    // compressed, human readable
	SizeBytes int64    `json:"sizeBytes"`
	Platforms []string `json:"platforms"` // os/arch[/variant]
	Platform  string   `json:"platform"`  // the platforms, comma-separated
	Phases    []Phase  `json:"phases"`
}

// Phase is the time one phase of the run took.
type Phase struct {
	Name    string  `json:"name"`
	Took    string  `json:"took"`
	Seconds float64 `json:"seconds"`
}

// cardEnvelope is what Drone reads: the template's URL and the data.
type cardEnvelope struct {
	Schema string `json:"schema"`
	Data   Card   `json:"data"`
}

// WriteCard writes the card to path. For /dev/stdout and /dev/stderr,
// which Drone's runner sets, it goes into the log as the one line that
// runner-go extracts: ESC]1338; base64(JSON) ESC]0m, written at once so
// no other log line splits it.
func WriteCard(path string, stdout, stderr io.Writer, c Card) error {
	b, err := json.Marshal(cardEnvelope{Schema: CardSchema, Data: c})
	if err != nil {
		return err
	}
	var w io.Writer
	switch path {
	case "":
		return nil
	case "/dev/stdout":
		w = stdout
	case "/dev/stderr":
		w = stderr
	default:
		if err := writeFileAtomic(path, b); err != nil {
			return fmt.Errorf("writing DRONE_CARD_PATH: %w", err)
		}
		return nil
	}
	line := "\x1b]1338;" + base64.StdEncoding.EncodeToString(b) + "\x1b]0m\n"
	if _, err := io.WriteString(w, line); err != nil {
		return fmt.Errorf("writing the Drone card to %s: %w", path, err)
	}
	return nil
}

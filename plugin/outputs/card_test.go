package outputs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cardRE is how Drone's runner (runner-go's extractor) finds a card in the
// log: ESC]1338; then base64, up to ESC]0m.
var cardRE = regexp.MustCompile("\x1b]1338;(.*?)\x1b]0m")

var testCard = Card{
	Image: testRegistry + "/team/app", Digest: "sha256:abc", Tags: []string{"v1", "latest"}, TagList: "v1, latest",
	Size: "1.5 MiB", SizeBytes: 1572864, Platforms: []string{"linux/amd64"}, Platform: "linux/amd64",
	Phases: []Phase{{Name: "build", Took: "1.2s", Seconds: 1.2}, {Name: "push", Took: "300ms", Seconds: 0.3}},
}

func TestCardOnStdoutIsTheFramedBase64DroneExtracts(t *testing.T) {
	var out, errs bytes.Buffer
	if err := WriteCard("/dev/stdout", &out, &errs, testCard); err != nil {
		t.Fatal(err)
	}
	if errs.Len() != 0 || !bytes.HasPrefix(out.Bytes(), []byte("\x1b]1338;")) || !bytes.HasSuffix(out.Bytes(), []byte("\x1b]0m\n")) {
		t.Fatalf("stdout %q, stderr %q: want one framed line on stdout", out.String(), errs.String())
	}
	m := cardRE.FindSubmatch(out.Bytes())
	raw, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	var got cardEnvelope
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(cardEnvelope{Schema: CardSchema, Data: testCard}, got); d != "" {
		t.Errorf("card (-want +got):\n%s", d)
	}
}

func TestCardToAFileIsItsJSONAndNothingWithoutAPath(t *testing.T) {
	var out bytes.Buffer
	if err := WriteCard("", &out, &out, testCard); err != nil || out.Len() != 0 {
		t.Fatalf("no path: err %v, wrote %q", err, out.String())
	}
	path := filepath.Join(t.TempDir(), "card", "card.json")
	if err := WriteCard(path, &out, &out, testCard); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got cardEnvelope
	if err := json.Unmarshal(raw, &got); err != nil || got.Schema != CardSchema || got.Data.Digest != "sha256:abc" {
		t.Errorf("card file %s: %v", raw, err)
	}
	if out.Len() != 0 {
		t.Errorf("a card to a file also wrote %q to the log", out.String())
	}
}

// docs/card.json, the template CardSchema names, is JSON and uses only
// fields the card's data has, so the two cannot drift.
func TestCardTemplateUsesOnlyTheCardsFields(t *testing.T) {
	raw, err := os.ReadFile("../../docs/card.json")
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatalf("docs/card.json: %v", err)
	}
	if tmpl["type"] != "AdaptiveCard" {
		t.Errorf("docs/card.json type = %v", tmpl["type"])
	}
	data, _ := json.Marshal(testCard)
	var fields map[string]any
	json.Unmarshal(data, &fields)
	phase, _ := json.Marshal(testCard.Phases[0])
	json.Unmarshal(phase, &fields)
	used := regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(string(raw), -1)
	if len(used) == 0 {
		t.Fatal("docs/card.json uses no field")
	}
	for _, u := range used {
		if _, ok := fields[u[1]]; !ok {
			t.Errorf("docs/card.json uses ${%s}, which the card's data lacks", u[1])
		}
	}
}

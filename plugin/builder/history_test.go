package builder

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/kaniko-ecr/kaniko-ecr/plugin/builder/copykey"
)

func TestHistoryShowsTheCopyLinesAsWritten(t *testing.T) {
	flag := copykey.Flag + "kaniko-ecr-key-0123"
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: nil, History: v1.History{CreatedBy: "COPY" + flag + " dir /dir", EmptyLayer: true}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := unkeyHistory(img, map[string]string{flag: ""})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := out.ConfigFile()
	if got := cf.History[0].CreatedBy; got != "COPY dir /dir" {
		t.Errorf("created_by %q, want the line as written", got)
	}
	img, _ = mutate.Append(empty.Image, mutate.Addendum{History: v1.History{CreatedBy: "COPY" + flag + " one.txt /added.txt", EmptyLayer: true}})
	out, _ = unkeyHistory(img, map[string]string{"COPY" + flag: "add"})
	cf, _ = out.ConfigFile()
	if got := cf.History[0].CreatedBy; got != "add one.txt /added.txt" {
		t.Errorf("created_by %q, want the ADD line as written", got)
	}
}

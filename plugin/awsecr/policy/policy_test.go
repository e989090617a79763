package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type policyDoc struct {
	Version   string
	Statement []struct {
		Sid, Effect string
		Action      []string
		Resource    string
	}
}

func TestBuildPolicyAllowsPullsFromTheRegistryAndPushesOnlyToTheCache(t *testing.T) {
	pull := []string{"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}
	push := []string{"ecr:BatchCheckLayerAvailability", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"}
	importUpstream := []string{"ecr:BatchImportUpstreamImage", "ecr:CreateRepository"}
	type st struct {
		Sid      string
		Action   []string
		Resource string
	}
	for _, tc := range []struct {
		name, region, account, cache string
		pullThrough                  []string
		want                         []st
	}{
		{"cache", "eu-west-1", "123456789012", "team/app-cache", nil, []st{
			{"Token", []string{"ecr:GetAuthorizationToken"}, "*"},
			{"Pull", pull, "arn:aws:ecr:eu-west-1:123456789012:repository/*"},
			{"PushCache", push, "arn:aws:ecr:eu-west-1:123456789012:repository/team/app-cache"},
		}},
		{"no cache: no push at all", "us-east-1", "123456789012", "", nil, []st{
			{"Token", []string{"ecr:GetAuthorizationToken"}, "*"},
			{"Pull", pull, "arn:aws:ecr:us-east-1:123456789012:repository/*"},
		}},
		{"China partition, account unknown", "cn-north-1", "", "c", nil, []st{
			{"Token", []string{"ecr:GetAuthorizationToken"}, "*"},
			{"Pull", pull, "arn:aws-cn:ecr:cn-north-1:*:repository/*"},
			{"PushCache", push, "arn:aws-cn:ecr:cn-north-1:*:repository/c"},
		}},
		{"GovCloud", "us-gov-west-1", "1", "", nil, []st{
			{"Token", []string{"ecr:GetAuthorizationToken"}, "*"},
			{"Pull", pull, "arn:aws-us-gov:ecr:us-gov-west-1:1:repository/*"},
		}},
		{"a pull-through cache under a prefix may import only under it", "us-east-1", "123456789012", "", []string{"docker-hub"}, []st{
			{"Token", []string{"ecr:GetAuthorizationToken"}, "*"},
			{"Pull", pull, "arn:aws:ecr:us-east-1:123456789012:repository/*"},
			{"PullThroughCache0", importUpstream, "arn:aws:ecr:us-east-1:123456789012:repository/docker-hub/*"},
		}},
		{"a mirror on the bare host, and one under a prefix, with the cache", "us-east-1", "123456789012", "team/app-cache", []string{"", "quay"}, []st{
			{"Token", []string{"ecr:GetAuthorizationToken"}, "*"},
			{"Pull", pull, "arn:aws:ecr:us-east-1:123456789012:repository/*"},
			{"PushCache", push, "arn:aws:ecr:us-east-1:123456789012:repository/team/app-cache"},
			{"PullThroughCache0", importUpstream, "arn:aws:ecr:us-east-1:123456789012:repository/*"},
			{"PullThroughCache1", importUpstream, "arn:aws:ecr:us-east-1:123456789012:repository/quay/*"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := Build(tc.region, tc.account, tc.cache, tc.pullThrough)
			if err != nil {
				t.Fatal(err)
			}
			var doc policyDoc
			if err := json.Unmarshal([]byte(raw), &doc); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, raw)
			}
			if doc.Version != "2012-10-17" {
				t.Errorf("Version %q", doc.Version)
			}
			var got []st
			for _, s := range doc.Statement {
				if s.Effect != "Allow" {
					t.Errorf("statement %s: effect %q", s.Sid, s.Effect)
				}
				got = append(got, st{s.Sid, s.Action, s.Resource})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if strings.Contains(raw, "team/app\"") || strings.Contains(raw, "ecr:*") {
				t.Errorf("the policy reaches further than the cache: %s", raw)
			}
		})
	}
}

func TestPullThroughTakesThePrefixesOfTheMirrorsOnTheRegistryOnly(t *testing.T) {
	const ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
	got := PullThrough(ecr, []string{ecr + "/docker-hub", "mirror.example/hub", ecr, ecr + "/quay/", ecr + "/docker-hub"})
	if want := []string{"", "docker-hub", "quay"}; !cmp.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := PullThrough(ecr, []string{"mirror.example/hub"}); got != nil {
		t.Errorf("a mirror elsewhere gives %q", got)
	}
}

package githubtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGraphQLRequestsAreValidatedAgainstTheSchema(t *testing.T) {
	schema, err := loadGraphQLSchema("testdata/schema.graphql") // defines a field twice, as GitHub's does
	if err != nil {
		t.Fatal(err)
	}
	const query = `query($owner: String!, $sha: GitObjectID!) { repository(owner: $owner, name: "r") {
		object(oid: $sha) { ... on Commit { checkRuns(last: 5) { name resourcePath } } } } }`
	tests := []struct {
		name, body string
		fragments  []string
	}{
		{"valid", `{"query":` + quote(query) + `,"variables":{"owner":"o","sha":"abc"}}`, nil},
		{"unknown field", `{"query":` + quote(strings.Replace(query, "resourcePath", "fullDatabaseId", 1)) + `,"variables":{"owner":"o","sha":"abc"}}`,
			[]string{"fullDatabaseId", "CheckRun"}},
		{"fragment on the wrong type", `{"query":` + quote(strings.Replace(query, "on Commit", "on Repository", 1)) + `,"variables":{"owner":"o","sha":"abc"}}`,
			[]string{"Repository"}},
		{"variable of the wrong type", `{"query":` + quote(query) + `,"variables":{"owner":7,"sha":"abc"}}`, []string{"owner"}},
		{"required variable missing", `{"query":` + quote(query) + `,"variables":{"owner":"o"}}`, []string{"sha"}},
		{"not a query", `{"query":"{ repository"}`, []string{"does not validate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateGraphQL(schema, []byte(tt.body))
			if len(tt.fragments) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, f := range tt.fragments {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not mention %q", err, f)
				}
			}
		})
	}
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}

// TestGitHubGraphQLSchemaLoadsInBothForms builds GitHub's schema from the introspection
// result and from the SDL beside it, and checks they agree on the fields secwg reads.
func TestGitHubGraphQLSchemaLoadsInBothForms(t *testing.T) {
	path := os.Getenv(EnvGraphQLSchema)
	if path == "" {
		t.Skipf("%s is not set; point it at GitHub's schema.json", EnvGraphQLSchema)
	}
	dir := filepath.Dir(path)
	for _, name := range []string{"schema.json", "schema.graphql"} {
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				t.Skip(err)
			}
			schema, err := loadGraphQLSchema(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			run := schema.Types["CheckRun"]
			if run == nil || run.Fields.ForName("resourcePath") == nil || run.Fields.ForName("databaseId").Type.Name() != "Int" {
				t.Errorf("CheckRun is not GitHub's: %v", run)
			}
		})
	}
}

// BenchmarkLoadGitHubGraphQLSchema is what a test process pays once for GraphQL validation.
func BenchmarkLoadGitHubGraphQLSchema(b *testing.B) {
	path := os.Getenv(EnvGraphQLSchema)
	if path == "" {
		b.Skipf("%s is not set", EnvGraphQLSchema)
	}
	for b.Loop() {
		if _, err := loadGraphQLSchema(path); err != nil {
			b.Fatal(err)
		}
	}
}

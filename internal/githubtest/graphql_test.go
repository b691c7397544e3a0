package githubtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

func TestGraphQLIsARouteButNotARESTOperation(t *testing.T) {
	const query = `{"query":"query($sha:GitObjectID!){repository(owner:\"o\",name:\"r\"){object(oid:$sha){id}}}","variables":{"sha":"abc"}}`
	tests := []struct {
		name       string
		register   bool
		auth       string
		wantStatus int
		wantFail   []string
	}{
		{"registered, installation token", true, installation7, 200, nil},
		{"not registered", false, installation7, 404, []string{"unexpected request", "POST /graphql"}},
		{"App JWT", true, "Bearer " + signJWT(t, privateKey(), jwtClaims{Iss: "4242"}), 401, []string{"POST /graphql", "requires an installation token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			// The fixture description has no /graphql operation: validating the request
			// against it would fail.
			s := newServer(rec, fixtureSpec(t))
			var got GraphQLRequest
			if tt.register {
				s.Handle(PatternGraphQL, func(w http.ResponseWriter, r *http.Request) {
					var err error
					if got, err = DecodeGraphQL(r); err != nil {
						t.Error(err)
					}
					GraphQLData(map[string]any{"repository": nil}).ServeHTTP(w, r)
				})
			}
			status, body := call(t, s, "POST", "/graphql", tt.auth, []byte(query))
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d (%s)", status, tt.wantStatus, body)
			}
			rec.requireFailure(t, tt.wantFail...)
			if s.CallsExcludingAuth() != 1 {
				t.Errorf("%d calls counted, want 1", s.CallsExcludingAuth())
			}
			if tt.wantStatus != 200 {
				return
			}
			if r := s.Requests()[0]; r.Pattern != PatternGraphQL || r.Installation != 7 || s.Count(PatternGraphQL) != 1 {
				t.Errorf("recorded %+v", r)
			}
			if !strings.Contains(got.Query, "object(oid:$sha)") || got.Variables["sha"] != "abc" {
				t.Errorf("decoded %+v", got)
			}
			if string(body) != `{"data":{"repository":null}}` {
				t.Errorf("body %s", body)
			}
		})
	}
}

func TestGraphQLErrorsAnswersLikeGitHub(t *testing.T) {
	rec := newRecorder(t)
	s := newServer(rec, nil)
	s.Handle(PatternGraphQL, GraphQLErrors("Something went wrong", "timeout").ServeHTTP)
	status, body := call(t, s, "POST", "/graphql", installation7, []byte(`{"query":"{viewer{login}}"}`))
	var got struct {
		Data   any
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(body, &got); err != nil || status != 200 {
		t.Fatalf("status %d, body %s: %v", status, body, err)
	}
	if got.Data != nil || len(got.Errors) != 2 || got.Errors[1].Message != "timeout" {
		t.Errorf("answer %s", body)
	}
}

func TestDecodeGraphQLRejectsARequestWithoutQuery(t *testing.T) {
	for _, body := range []string{`{"variables":{}}`, `not json`} {
		r, _ := http.NewRequest("POST", "http://127.0.0.1/graphql", strings.NewReader(body))
		if _, err := DecodeGraphQL(r); err == nil {
			t.Errorf("DecodeGraphQL(%s) accepted it", body)
		}
	}
}

func TestGraphQLQueryOutsideTheSchemaFailsTheTest(t *testing.T) {
	schema, err := loadGraphQLSchema("testdata/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query string
		fragments   []string
	}{
		{"in the schema", `{"query":"query($sha:GitObjectID!){repository(owner:\"o\",name:\"r\"){object(oid:$sha){oid}}}","variables":{"sha":"abc"}}`, nil},
		{"field the schema lacks", `{"query":"query($sha:GitObjectID!){repository(owner:\"o\",name:\"r\"){object(oid:$sha){id}}}","variables":{"sha":"abc"}}`,
			[]string{"POST /graphql", "GitHub's GraphQL schema", "id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t)
			s := newServer(rec, nil)
			s.graphql = schema
			s.Handle(PatternGraphQL, GraphQLData(map[string]any{"repository": nil}).ServeHTTP)
			call(t, s, "POST", "/graphql", installation7, []byte(tt.query))
			rec.requireFailure(t, tt.fragments...)
		})
	}
}

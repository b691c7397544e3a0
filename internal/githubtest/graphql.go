package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// PatternGraphQL is the route of GitHub's GraphQL API as the fake serves it: a test
// registers it like any other route, its requests need an installation token and are
// recorded and counted. They are not REST operations, so they are validated against
// GitHub's GraphQL schema (SECWG_GRAPHQL_SCHEMA) instead of the OpenAPI description.
const PatternGraphQL = "POST /graphql"

func isGraphQL(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == "/graphql"
}

// GraphQLRequest is a GraphQL request as clients POST it.
type GraphQLRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

// DecodeGraphQL reads the query and variables of a request to PatternGraphQL.
func DecodeGraphQL(r *http.Request) (GraphQLRequest, error) {
	var q GraphQLRequest
	if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
		return q, fmt.Errorf("decoding the GraphQL request: %w", err)
	}
	if q.Query == "" {
		return q, fmt.Errorf("the GraphQL request has no query")
	}
	return q, nil
}

// GraphQLData answers a GraphQL request with data, as GitHub does: 200 and
// {"data": data}.
func GraphQLData(data any) Response {
	return Response{Body: map[string]any{"data": data}}
}

// GraphQLErrors answers a GraphQL request that failed with GitHub's shape: 200, no data
// and an errors array with one entry per message.
func GraphQLErrors(messages ...string) Response {
	errs := make([]map[string]any, len(messages))
	for i, m := range messages {
		errs[i] = map[string]any{"message": m}
	}
	return Response{Body: map[string]any{"data": nil, "errors": errs}}
}

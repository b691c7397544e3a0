package githubtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// EnvGraphQLSchema names the environment variable holding the path of GitHub's GraphQL
// schema, as an introspection result (schema.json) or SDL (schema.graphql); when set,
// every GraphQL request the fake receives is validated against it.
const EnvGraphQLSchema = "SECWG_GRAPHQL_SCHEMA"

var (
	graphQLSchemasMu sync.Mutex
	graphQLSchemas   = map[string]func() (*ast.Schema, error){}
)

// envGraphQLSchema loads the schema named by EnvGraphQLSchema once per process, nil when
// unset.
func envGraphQLSchema() (*ast.Schema, error) {
	path := os.Getenv(EnvGraphQLSchema)
	if path == "" {
		return nil, nil
	}
	graphQLSchemasMu.Lock()
	load, ok := graphQLSchemas[path]
	if !ok {
		load = sync.OnceValues(func() (*ast.Schema, error) { return loadGraphQLSchema(path) })
		graphQLSchemas[path] = load
	}
	graphQLSchemasMu.Unlock()
	return load()
}

func loadGraphQLSchema(path string) (*ast.Schema, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading GraphQL schema: %w", err)
	}
	var schema *ast.Schema
	if strings.HasSuffix(path, ".json") {
		var sdl string
		if sdl, err = introspectionToSDL(data); err == nil {
			schema, err = gqlparser.LoadSchema(&ast.Source{Name: path, Input: sdl})
		}
	} else {
		schema, err = loadSDLLeniently(path, string(data))
	}
	if err != nil {
		return nil, fmt.Errorf("loading GraphQL schema %s: %w", path, err)
	}
	return schema, nil
}

// loadSDLLeniently builds a schema from SDL that defines a field twice, as GitHub's
// published SDL does (EnterpriseOwnerInfo.repositoryDeployKeySetting): the first
// definition is kept.
func loadSDLLeniently(name, sdl string) (*ast.Schema, error) {
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: name, Input: sdl})
	if err != nil {
		return nil, err
	}
	dedupe := func(defs ast.DefinitionList) {
		for _, d := range defs {
			seen := map[string]bool{}
			kept := d.Fields[:0]
			for _, f := range d.Fields {
				if !seen[f.Name] {
					seen[f.Name] = true
					kept = append(kept, f)
				}
			}
			d.Fields = kept
		}
	}
	dedupe(doc.Definitions)
	dedupe(doc.Extensions)
	return validator.ValidateSchemaDocument(doc)
}

// introspection is the part of an introspection result a schema is built from.
type introspection struct {
	Schema struct {
		QueryType        *struct{ Name string } `json:"queryType"`
		MutationType     *struct{ Name string } `json:"mutationType"`
		SubscriptionType *struct{ Name string } `json:"subscriptionType"`
		Types            []gqlType              `json:"types"`
	} `json:"__schema"`
}

type gqlType struct {
	Kind          string        `json:"kind"`
	Name          string        `json:"name"`
	Fields        []gqlField    `json:"fields"`
	InputFields   []gqlArgument `json:"inputFields"`
	Interfaces    []gqlTypeRef  `json:"interfaces"`
	PossibleTypes []gqlTypeRef  `json:"possibleTypes"`
	EnumValues    []struct {
		Name string `json:"name"`
	} `json:"enumValues"`
}

type gqlField struct {
	Name string        `json:"name"`
	Args []gqlArgument `json:"args"`
	Type gqlTypeRef    `json:"type"`
}

type gqlArgument struct {
	Name         string     `json:"name"`
	Type         gqlTypeRef `json:"type"`
	DefaultValue *string    `json:"defaultValue"`
}

type gqlTypeRef struct {
	Kind   string      `json:"kind"`
	Name   string      `json:"name"`
	OfType *gqlTypeRef `json:"ofType"`
}

func (t gqlTypeRef) String() string {
	switch {
	case t.Kind == "NON_NULL" && t.OfType != nil:
		return t.OfType.String() + "!"
	case t.Kind == "LIST" && t.OfType != nil:
		return "[" + t.OfType.String() + "]"
	}
	return t.Name
}

var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

// introspectionToSDL writes an introspection result (bare or under "data") as SDL,
// leaving out descriptions and directives, which query validation does not read.
func introspectionToSDL(data []byte) (string, error) {
	var wrapped struct {
		Data *introspection `json:"data"`
	}
	var in introspection
	if err := json.Unmarshal(data, &wrapped); err == nil && wrapped.Data != nil {
		in = *wrapped.Data
	} else if err := json.Unmarshal(data, &in); err != nil {
		return "", fmt.Errorf("decoding the introspection result: %w", err)
	}
	if in.Schema.QueryType == nil {
		return "", errors.New("the introspection result has no query type")
	}
	var b strings.Builder
	b.WriteString("schema {\n  query: " + in.Schema.QueryType.Name + "\n")
	if t := in.Schema.MutationType; t != nil {
		b.WriteString("  mutation: " + t.Name + "\n")
	}
	if t := in.Schema.SubscriptionType; t != nil {
		b.WriteString("  subscription: " + t.Name + "\n")
	}
	b.WriteString("}\n")
	for _, t := range in.Schema.Types {
		if strings.HasPrefix(t.Name, "__") || builtinScalars[t.Name] {
			continue
		}
		if err := writeType(&b, t); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

// writeType writes one type's SDL.
func writeType(b *strings.Builder, t gqlType) error {
	switch t.Kind {
	case "SCALAR":
		fmt.Fprintf(b, "scalar %s\n", t.Name)
	case "OBJECT", "INTERFACE":
		keyword := map[string]string{"OBJECT": "type", "INTERFACE": "interface"}[t.Kind]
		fmt.Fprintf(b, "%s %s", keyword, t.Name)
		if len(t.Interfaces) > 0 {
			fmt.Fprintf(b, " implements %s", typeNames(t.Interfaces, " & "))
		}
		b.WriteString(" {\n")
		for _, f := range t.Fields {
			fmt.Fprintf(b, "  %s%s: %s\n", f.Name, argumentList(f.Args, "(", ")"), f.Type)
		}
		b.WriteString("}\n")
	case "UNION":
		fmt.Fprintf(b, "union %s = %s\n", t.Name, typeNames(t.PossibleTypes, " | "))
	case "ENUM":
		fmt.Fprintf(b, "enum %s {\n", t.Name)
		for _, v := range t.EnumValues {
			fmt.Fprintf(b, "  %s\n", v.Name)
		}
		b.WriteString("}\n")
	case "INPUT_OBJECT":
		fmt.Fprintf(b, "input %s {\n", t.Name)
		for _, f := range t.InputFields {
			fmt.Fprintf(b, "  %s\n", argumentList([]gqlArgument{f}, "", ""))
		}
		b.WriteString("}\n")
	default:
		return fmt.Errorf("type %s has unknown kind %s", t.Name, t.Kind)
	}
	return nil
}

// argumentList writes arguments (or input fields) with their defaults.
func argumentList(list []gqlArgument, open, close string) string {
	if len(list) == 0 {
		return ""
	}
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = a.Name + ": " + a.Type.String()
		if a.DefaultValue != nil {
			parts[i] += " = " + *a.DefaultValue
		}
	}
	return open + strings.Join(parts, ", ") + close
}

func typeNames(refs []gqlTypeRef, sep string) string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Name
	}
	return strings.Join(out, sep)
}

// validateGraphQL checks a GraphQL request body against schema: the query parses and
// validates (fields, arguments, fragments' type conditions) and its variables have the
// types the operation declares.
func validateGraphQL(schema *ast.Schema, body []byte) error {
	var req GraphQLRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return fmt.Errorf("decoding the GraphQL request: %w", err)
	}
	doc, errs := gqlparser.LoadQueryWithRules(schema, req.Query, nil) // nil: the default rules
	if len(errs) > 0 {
		return fmt.Errorf("the query does not validate against GitHub's GraphQL schema: %w", errs)
	}
	if len(doc.Operations) != 1 {
		return fmt.Errorf("the request holds %d operations, want 1", len(doc.Operations))
	}
	if _, err := validator.VariableValues(schema, doc.Operations[0], req.Variables); err != nil {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && len(gqlErr.Path) > 0 {
			return fmt.Errorf("the variables do not match the query: %s %s", gqlErr.Path, gqlErr.Message)
		}
		return fmt.Errorf("the variables do not match the query: %w", err)
	}
	return nil
}

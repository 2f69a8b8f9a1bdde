package scenario

import (
	"bytes"
	_ "embed"
)

// SchemaID is the $id of the JSON Schema of gameday/v1 scenarios. It names
// the schema; nothing is served there.
const SchemaID = "https://gameday.invalid/schemas/scenario-v1.json"

//go:embed schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of gameday/v1 scenario
// files, for editors and other tools. It describes every field; Parse checks
// more than a schema can, and is the authority.
func Schema() []byte { return bytes.Clone(schema) }

package store

// The costs of migration 0017 (store/economics) in the full export.
func init() {
	DumpSchema = append(DumpSchema,
		DumpTable{"costs", cols("id:int kind key day:int amount:int per:int currency note created_at:int updated_at:int"), "costs_id_seq"},
	)
}

package store

// Tables of the aggregate layer (migration 0015) in the full export.
// Their SQL lives in the area packages (store/segment, store/scores);
// the export schema stays here, beside the other tables, so the round
// trip test sees every table. contact_scores is derived: a restore leaves
// it empty and the score job refills it from the restored orders.
func init() {
	DumpSchema = append(DumpSchema,
		DumpTable{"segments", cols("id:int name description kind definition owner_id:int member_count:int refreshed_at:int created_at:int updated_at:int"), "segments_id_seq"},
		DumpTable{"segment_members", cols("segment_id:int contact_id:int added_at:int"), ""},
		DumpTable{"segment_changes", cols("segment_id:int contact_id:int change at:int"), ""},
		DumpTable{"score_runs", cols("id:int started_at:int finished_at:int as_of status message customers:int record"), "score_runs_id_seq"},
	)
}

// derivedAggregate are recomputed by jobs, never exported.
var derivedAggregate = []string{"contact_scores"}

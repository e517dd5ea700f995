package scores

// SetRebuildAbove lowers the row count from which a SQLite write rebuilds
// the indexes, so a test takes that path; it returns the old value.
func SetRebuildAbove(n int) int {
	old := sqliteRebuildAbove
	sqliteRebuildAbove = n
	return old
}

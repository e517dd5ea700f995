package storetest

import (
	"testing"
	"time"
)

func TestZZOpenCost(t *testing.T) {
	for _, e := range Engines() {
		Open(t, e)
		start := time.Now()
		for i := 0; i < 5; i++ {
			Open(t, e)
		}
		t.Logf("%s: %v per Open", e, time.Since(start)/5)
	}
}

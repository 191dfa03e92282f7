package fetchtest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestClock(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(start)
	assert.True(t, c.Now().Equal(start))
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { c.Advance(time.Second) })
	}
	wg.Wait()
	assert.Equal(t, 10*time.Second, c.Now().Sub(start))
	c.Set(start)
	assert.True(t, c.Now().Equal(start))
}

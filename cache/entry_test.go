package cache

import (
	"testing"
	"unsafe"

	"github.com/golang/groupcache"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestByteViewLayout checks that byteViewLayout mirrors groupcache.ByteView: viewBytes gives the bytes
// of a value held as a string and of one held as a byte slice, without allocating.
func TestByteViewLayout(t *testing.T) {
	want := []byte("the bytes of a value")
	var fromString, fromBytes groupcache.ByteView
	require.NoError(t, groupcache.ByteViewSink(&fromString).SetString(string(want)))
	require.NoError(t, groupcache.ByteViewSink(&fromBytes).SetBytes(want))
	for _, v := range []groupcache.ByteView{fromString, fromBytes} {
		assert.Equal(t, want, viewBytes(v))
		assert.Zero(t, testing.AllocsPerRun(100, func() { viewBytes(v) }))
	}
	assert.Equal(t, unsafe.Sizeof(byteViewLayout{}), unsafe.Sizeof(groupcache.ByteView{}))
}

package render

// ForceAliases is forceAliases, for the build test of package render_test
// (which may import write; package render may not).
var ForceAliases = forceAliases

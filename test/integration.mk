# tests of integration

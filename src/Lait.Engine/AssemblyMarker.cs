namespace Lait.Engine;

/// <summary>Placeholder until the issue that owns this project fills it.</summary>
internal static class AssemblyMarker
{
}

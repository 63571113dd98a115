using System.Runtime.CompilerServices;

// Tests check the encoder core directly (e.g. that steady-state layer passes allocate nothing).
[assembly: InternalsVisibleTo("Lait.Engine.Tests")]

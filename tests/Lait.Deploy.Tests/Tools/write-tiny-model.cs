#:project ../../Lait.Testing/Lait.Testing.csproj
// Writes the tests' tiny BERT model into a folder (argument 1), for scripts/check-publish.sh when
// the default model is not in the checkout. Run as a .NET 10 file-based app: dotnet run write-tiny-model.cs -- DIR
using Lait.Testing;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: dotnet run write-tiny-model.cs -- DIR");
    return 2;
}
TinyModelWriter.Write(args[0], new TinyModelWriter.Options());
Console.WriteLine(args[0]);
return 0;

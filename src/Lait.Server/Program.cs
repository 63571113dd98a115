Console.WriteLine("LaitGrpc server: not implemented yet");
return 1;

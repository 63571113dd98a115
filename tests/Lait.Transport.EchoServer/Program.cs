Console.WriteLine("echo server: not implemented yet");
return 1;

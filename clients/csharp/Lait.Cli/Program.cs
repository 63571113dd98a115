return await Lait.Cli.LaitCli.RunAsync(args, Console.Out, Console.Error);

// Every test here drives real server processes (and some kill them at random moments): run them one
// at a time so that they neither compete for the machine's cores nor disturb each other's timing.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
